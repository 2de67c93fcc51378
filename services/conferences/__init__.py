"""Linkage conferences: one-day events where cooperatives meet businesses and banks at tables.

``domain`` holds the scheduling model and solvers; ``outputs`` renders schedules for people.
"""
