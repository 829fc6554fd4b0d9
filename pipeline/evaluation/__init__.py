"""The project's adversarial evaluation set and `screening eval`: load the cases, screen them with the
real screener, judge each route against the routes an analyst would accept, tally and render."""
