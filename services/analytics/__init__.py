"""Portal-usage analytics for managers (usage), with counts of 1 to 10 people suppressed. Uses
core only."""
