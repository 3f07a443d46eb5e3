"""Chapter 0, Getting started: its one exercise, ``standardize``."""
