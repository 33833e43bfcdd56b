"""Keeping the Stripe mirror in step with Stripe: backfill, webhooks inbox, catch-up, sweep."""
