"""Pipeline stages: plain functions, each usable without Prefect."""
