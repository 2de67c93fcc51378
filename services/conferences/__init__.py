"""The conferences service (port 8004): linkage conferences where cooperatives meet businesses
and banks at tables. ``domain`` holds the scheduling model and solvers; ``outputs`` renders
schedules for people; the rest adapts them to HTTP, storage and Kafka (see README.md)."""
