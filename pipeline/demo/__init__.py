"""Feeding orders to the broker and reading the outcomes back (`screening produce`, `screening run`)."""
