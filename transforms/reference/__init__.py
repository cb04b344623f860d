"""Reference data into the warehouse: the city's catalogue editions, area tree and departments → core dimensions."""
