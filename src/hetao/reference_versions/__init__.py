"""Uploaded versions of the reference tables (tariff, exchange rates, exemption exclusions).

Each upload is validated with the same importer as the packaged file, then kept beside the
older versions with the day it takes effect; the table in force on a day is the newest version
effective that day, else the packaged file.
"""
