"""Events: topics with bounded, resumable history that live subscriptions follow."""
