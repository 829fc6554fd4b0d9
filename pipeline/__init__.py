"""Shipment screening pipeline: intake, enrichment, rules, decisions, licences, holds, metrics, console."""
