"""Renderers of a schedule for people: grid and agendas as CSV, XLSX, ICS and PDF, vi or en."""
