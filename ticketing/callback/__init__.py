"""Satisfaction callbacks (回访): a task per resolved case, survey calls, ratings, the do-not-call list."""
