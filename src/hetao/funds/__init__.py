"""Research projects, their budgets and cross-border fund transfers (R38-R40)."""
