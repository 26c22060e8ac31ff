"""The service's browser pages (leadership dashboard, staff console): what they share.

Shared ES modules (sign-in, API calls, language), the page configuration (where Firebase
Auth is, which key), the ward outlines as SVG paths, and one way to serve a page or an
asset under a strict Content-Security-Policy.
"""
