"""Speech: AudioSocket audio from Asterisk decoded by vosk, results handed to the IVR and the bus."""
