"""The worker: claims jobs and runs their workflows; runs periodic duties.

Imports `workflows`, `jobs`, `drivers`, `store`, `config`, `contracts`.
"""
