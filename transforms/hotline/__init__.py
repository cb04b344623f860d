"""12319 hotline logs into core.hotline_call: personal data hashed/masked first, calls linked to cases."""
