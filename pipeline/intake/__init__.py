"""Intake: raw bytes from `orders` to a validated order or a dead letter with a reason.

A record that could be read two ways never reaches screening; each is a dead letter with its own
reason (`reasons.py`): a key given twice in one JSON object (`duplicate_key`); a number, boolean or
timestamp given as another JSON type (`wrong_type`, no conversion); a control or invisible character
in any text field (`control_character`); a country, currency, control code or tech entry not in its
canonical case (`code_case`: refused, not normalised, so what was sent is what was screened). The
field-level policy is stated in `schemas/order.py`.
"""

from pipeline.intake.parse import MAX_ORDER_BYTES, Rejection, parse_order
from pipeline.intake.reasons import InvalidReason

__all__ = ["MAX_ORDER_BYTES", "InvalidReason", "Rejection", "parse_order"]
