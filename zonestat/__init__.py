"""zonestat: warehouse of the statistics Vietnam's industrial and economic zone boards report."""
