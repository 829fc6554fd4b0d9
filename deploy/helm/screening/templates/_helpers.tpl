{{- define "screening.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "screening.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "screening.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "screening.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{ default (include "screening.fullname" .) .Values.serviceAccount.name }}
{{- else -}}
{{ default "default" .Values.serviceAccount.name }}
{{- end -}}
{{- end -}}

{{- define "screening.onDisk" -}}
{{- if hasPrefix "rocksdb://" .Values.worker.store }}true{{ end -}}
{{- end -}}

{{/* Refuse values that cannot work, with the value named, before anything is applied. */}}
{{- define "screening.validate" -}}
{{- $partitions := int .Values.topics.orderPartitions -}}
{{- if gt (int .Values.worker.replicas) $partitions -}}
{{- fail (printf "worker.replicas (%d) exceeds topics.orderPartitions (%d): a worker beyond the partition count gets no partition and sits idle" (int .Values.worker.replicas) $partitions) -}}
{{- end -}}
{{- if .Values.autoscaling.enabled -}}
{{- if gt (int .Values.autoscaling.maxReplicas) $partitions -}}
{{- fail (printf "autoscaling.maxReplicas (%d) exceeds topics.orderPartitions (%d): a worker beyond the partition count gets no partition and sits idle" (int .Values.autoscaling.maxReplicas) $partitions) -}}
{{- end -}}
{{- if gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas) -}}
{{- fail (printf "autoscaling.minReplicas (%d) exceeds autoscaling.maxReplicas (%d)" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- end -}}
{{- end -}}
{{- if not (or (hasPrefix "rocksdb://" .Values.worker.store) (hasPrefix "memory://" .Values.worker.store)) -}}
{{- fail (printf "worker.store %q is neither rocksdb:// nor memory://" .Values.worker.store) -}}
{{- end -}}
{{- range $role, $user := .Values.kafka.users -}}
{{- if or (hasKey $user "password") (not $user.passwordSecret) -}}
{{- fail (printf "kafka.users.%s: give passwordSecret {name, key} of a Secret; a password in values would be rendered in plain text" $role) -}}
{{- end -}}
{{- end -}}
{{- if or (hasKey .Values.kafka "password") (hasKey .Values.kafka "saslPassword") -}}
{{- fail "kafka: passwords go in Secrets (kafka.users.<role>.passwordSecret), never in values" -}}
{{- end -}}
{{- end -}}

{{/* SCREENING_* variables every process shares. */}}
{{- define "screening.commonEnv" -}}
- name: SCREENING_BOOTSTRAP_SERVERS
  value: {{ .Values.kafka.bootstrapServers | quote }}
- name: SCREENING_APP_ID
  value: {{ .Values.appId | quote }}
- name: SCREENING_TOPIC_PREFIX
  value: {{ .Values.topicPrefix | quote }}
- name: SCREENING_ORDER_PARTITIONS
  value: {{ .Values.topics.orderPartitions | quote }}
- name: SCREENING_REPLICATION_FACTOR
  value: {{ .Values.topics.replicationFactor | quote }}
- name: SCREENING_MIN_INSYNC_REPLICAS
  value: {{ .Values.topics.minInsyncReplicas | quote }}
- name: SCREENING_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- end -}}

{{/* How a role connects: its user name, and the password and certificates as mounted files. */}}
{{- define "screening.securityEnv" -}}
{{- $user := index .root.Values.kafka.users .role -}}
- name: SCREENING_SECURITY_PROTOCOL
  value: {{ .root.Values.kafka.securityProtocol | quote }}
{{- if hasPrefix "SASL" .root.Values.kafka.securityProtocol }}
- name: SCREENING_SASL_MECHANISM
  value: {{ .root.Values.kafka.saslMechanism | quote }}
- name: SCREENING_SASL_USERNAME
  value: {{ $user.username | quote }}
- name: SCREENING_SASL_PASSWORD_FILE
  value: /etc/screening/kafka/sasl/password
{{- end }}
{{- if hasSuffix "SSL" .root.Values.kafka.securityProtocol }}
- name: SCREENING_SSL_CAFILE
  value: /etc/screening/kafka/tls/ca.crt
{{- if .root.Values.kafka.clientCertSecret }}
- name: SCREENING_SSL_CERTFILE
  value: /etc/screening/kafka/client/tls.crt
- name: SCREENING_SSL_KEYFILE
  value: /etc/screening/kafka/client/tls.key
{{- end }}
{{- end }}
{{- end -}}

{{- define "screening.securityMounts" -}}
{{- if hasPrefix "SASL" .Values.kafka.securityProtocol }}
- name: kafka-sasl
  mountPath: /etc/screening/kafka/sasl
  readOnly: true
{{- end }}
{{- if hasSuffix "SSL" .Values.kafka.securityProtocol }}
- name: kafka-ca
  mountPath: /etc/screening/kafka/tls
  readOnly: true
{{- if .Values.kafka.clientCertSecret }}
- name: kafka-client-cert
  mountPath: /etc/screening/kafka/client
  readOnly: true
{{- end }}
{{- end }}
{{- end -}}

{{- define "screening.securityVolumes" -}}
{{- $user := index .root.Values.kafka.users .role -}}
{{- if hasPrefix "SASL" .root.Values.kafka.securityProtocol }}
- name: kafka-sasl
  secret:
    secretName: {{ $user.passwordSecret.name }}
    defaultMode: 0400
    items:
      - key: {{ $user.passwordSecret.key }}
        path: password
{{- end }}
{{- if hasSuffix "SSL" .root.Values.kafka.securityProtocol }}
- name: kafka-ca
  secret:
    secretName: {{ .root.Values.kafka.caSecret.name }}
    items:
      - key: {{ .root.Values.kafka.caSecret.key }}
        path: ca.crt
{{- if .root.Values.kafka.clientCertSecret }}
- name: kafka-client-cert
  secret:
    secretName: {{ .root.Values.kafka.clientCertSecret }}
    defaultMode: 0400
{{- end }}
{{- end }}
{{- end -}}
