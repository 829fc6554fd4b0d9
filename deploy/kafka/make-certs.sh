#!/usr/bin/env bash
# A private CA and one broker certificate signed by it, made with the JDK's keytool.
#   make-certs.sh DIR [SAN]     e.g. make-certs.sh .run/cluster/tls dns:localhost,ip:127.0.0.1
# Writes into DIR: ca.p12 (the CA's key), ca.pem (what clients trust: SCREENING_SSL_CAFILE),
# broker.p12 (every broker's key and chain), truststore.p12 (the CA, for brokers) and
# store.password (the PKCS12 password). Idempotent: an existing, complete DIR is left alone.
# Used by cluster.sh and by the compose `cluster` profile; the files are never committed.
set -euo pipefail

DIR="${1:?usage: make-certs.sh DIR [SAN]}"
SAN="${2:-dns:localhost,ip:127.0.0.1}"
DAYS="${CERT_VALID_DAYS:-365}"

if ! command -v keytool >/dev/null 2>&1; then
    echo "error: 'keytool' not found; install a JDK 17 or newer (e.g. apt-get install openjdk-17-jre-headless)" >&2
    exit 1
fi

mkdir -p "$DIR"
cd "$DIR"
if [[ -s ca.pem && -s broker.p12 && -s truststore.p12 && -s store.password ]]; then
    exit 0
fi
rm -f ca.p12 ca.pem broker.p12 broker.csr broker.crt truststore.p12
umask 077
# Alphanumeric only: the password is written into Java properties files unquoted.
[[ -s store.password ]] || (set +o pipefail; LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32 >store.password)
PASSWORD="$(cat store.password)"
store=(-storetype PKCS12 -storepass "$PASSWORD" -keypass "$PASSWORD")

keytool -genkeypair -alias ca -keyalg RSA -keysize 2048 -validity "$DAYS" \
    -dname "CN=screening-local-ca" -ext bc:c -keystore ca.p12 "${store[@]}" 2>/dev/null
keytool -exportcert -rfc -alias ca -keystore ca.p12 "${store[@]}" >ca.pem 2>/dev/null

# The brokers' certificate names them (CN=broker, the super user their listeners map it to) and
# every address clients and peers dial, so hostname verification stays on everywhere.
keytool -genkeypair -alias broker -keyalg RSA -keysize 2048 -validity "$DAYS" \
    -dname "CN=broker" -ext "SAN=$SAN" -keystore broker.p12 "${store[@]}" 2>/dev/null
keytool -certreq -alias broker -keystore broker.p12 "${store[@]}" -ext "SAN=$SAN" >broker.csr 2>/dev/null
keytool -gencert -alias ca -keystore ca.p12 "${store[@]}" -rfc -validity "$DAYS" \
    -ext "SAN=$SAN" -ext KU=digitalSignature,keyEncipherment -ext EKU=serverAuth,clientAuth \
    -infile broker.csr -outfile broker.crt 2>/dev/null
keytool -importcert -noprompt -alias ca -file ca.pem -keystore broker.p12 "${store[@]}" >/dev/null 2>&1
keytool -importcert -noprompt -alias broker -file broker.crt -keystore broker.p12 "${store[@]}" >/dev/null 2>&1
keytool -importcert -noprompt -alias ca -file ca.pem -keystore truststore.p12 "${store[@]}" >/dev/null 2>&1
rm -f broker.csr broker.crt
chmod 644 ca.pem
echo "Made a CA and a broker certificate (SAN $SAN) in $(basename "$DIR")/"
