"""The shared shape of an import upload: validate the form, run the importer, collect row problems."""

from checkup.core.errors import Conflict, ValidationError


def run_import(form, max_bytes, importer):
    """Returns (result, problems, status): result is None unless everything was imported.

    ``importer(filename, content)`` raises a ValidationError (with ``problems`` for row errors)
    or a Conflict; either way nothing was written, and the message goes next to the file field.
    """
    if not form.validate_on_submit():
        return None, [], 422
    upload = form.file.data
    content = upload.stream.read(max_bytes + 1)  # one byte more tells the importer it is too large
    try:
        return importer(upload.filename, content), [], 200
    except ValidationError as exc:
        form.file.errors = list(form.file.errors) + [exc.message]
        return None, getattr(exc, "problems", []), 422
    except Conflict as exc:
        form.file.errors = list(form.file.errors) + [exc.message]
        return None, [], 409
