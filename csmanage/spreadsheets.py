"""File formats for admin imports and exports (django-import-export)."""

from import_export.formats import base_formats


class CSV(base_formats.CSV):
    """CSV as Chinese offices save it: UTF-8 (with or without BOM), or GB18030 from Excel.

    Read as bytes end to end so the encoding is decided here, once, for the preview and the
    confirmed import alike.
    """

    def is_binary(self) -> bool:
        return True

    def get_read_mode(self) -> str:
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            try:
                in_stream = in_stream.decode("utf-8-sig")
            except UnicodeDecodeError:
                in_stream = in_stream.decode("gb18030")
        return super().create_dataset(in_stream, **kwargs)


IMPORT_FORMATS = [base_formats.XLSX, CSV]
EXPORT_FORMATS = [base_formats.XLSX, base_formats.CSV]
