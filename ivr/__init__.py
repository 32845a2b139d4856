"""Telephony: AMI bridge, FastAGI IVR engine and speech recognition fed by AudioSocket."""
