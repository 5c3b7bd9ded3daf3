"""The bonded e-ledger: lots per party, append-only movements, holds and balances."""
