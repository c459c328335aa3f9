"""Static files in production: hashed names from `collectstatic`, or the plain ones without it."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestOrSourceStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed manifest storage, which names files by their content's hash.

    Before `collectstatic` has written the manifest (a server started outside Docker), the plain
    names are used instead of failing every page: WhiteNoise then serves the files from the
    source folders (``WHITENOISE_USE_FINDERS``, set in the settings when the manifest is missing).
    """

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:
            return name
        return super().stored_name(name)
