"""Faces: views translate between the wire and the services, and nothing more."""
