"""Rule packs and the evaluation engine.

`loader.load_pack(path)` validates and compiles a pack (or raises `errors.RulePackError` naming
file, rule and line); `engine.evaluate(enriched_order, pack)` returns the findings as of the
order's date; `examples.run_examples(pack)` runs the example cases embedded in the pack.
"""
