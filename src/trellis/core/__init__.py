"""The shared base every app may import: errors and small helpers. Imports no app."""
