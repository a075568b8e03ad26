"""Input: the files a user writes (incident, channels.yaml, recipients), read with their lines."""
