"""Pure eligibility logic: the rules of the guide, the voucher amounts, the verdict."""
