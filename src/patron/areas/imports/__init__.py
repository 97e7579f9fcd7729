"""Imports: uploading exports, following their import, the rows that could not be stored (``patron import``)."""
