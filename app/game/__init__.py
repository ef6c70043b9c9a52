"""The game domain: rounds, players, rules and the leaderboard behind ``game.*``."""
