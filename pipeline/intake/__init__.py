"""Intake: raw bytes from `orders` to a validated order or a dead letter with a reason."""

from pipeline.intake.parse import MAX_ORDER_BYTES, Rejection, parse_order
from pipeline.intake.reasons import InvalidReason

__all__ = ["MAX_ORDER_BYTES", "InvalidReason", "Rejection", "parse_order"]
