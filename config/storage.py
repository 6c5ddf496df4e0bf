"""Static files for production: whitenoise's compressed, hashed storage, tolerant of CSS
that points at files its package does not ship (viewflow's bundled Roboto CSS names font
weights that are not in the wheel). Such a reference is left as written; every file that
exists still gets its hashed, compressed, cache-for-ever name."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def hashed_name(self, name, content=None, filename=None):
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:  # whitenoise's MissingFileError included
            return name
