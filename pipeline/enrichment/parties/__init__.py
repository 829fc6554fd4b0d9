"""Party screening against China's party lists and the operator's own lists."""
