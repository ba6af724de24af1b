"""Named exceptions of the plankb library; the CLI and the web app turn them into messages."""


class PlankbError(Exception):
    """Base class: the message is a sentence meant for the user."""


class SourceError(PlankbError):
    """A file cannot be read as a plan (wrong format, binary, not a plan)."""

    def __init__(self, path, reason, line=None):
        self.path = str(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {reason}")


class DataFileError(PlankbError):
    """An editable data file in corpus/ (registry, synonyms, manifest) is malformed."""


class UnknownDepartment(PlankbError):
    """A department name that the registry does not know."""

    def __init__(self, name, suggestions=()):
        self.name = name
        self.suggestions = list(suggestions)
        msg = f"未知部门“{name}”"
        if self.suggestions:
            msg += "；您是否要找：" + "、".join(self.suggestions)
        super().__init__(msg)


class UnknownClause(PlankbError):
    """A clause id that the knowledge base does not hold."""

    def __init__(self, clause_id):
        self.clause_id = clause_id
        super().__init__(f"没有编号为“{clause_id}”的条款")


class UnknownDocument(PlankbError):
    """A document id that the knowledge base does not hold."""

    def __init__(self, doc_id, known=()):
        self.doc_id = doc_id
        msg = f"没有编号为“{doc_id}”的规划"
        if known:
            msg += "；现有：" + "、".join(known)
        super().__init__(msg)


class IndexMissing(PlankbError):
    """The data directory holds no built knowledge base."""


class DataDirError(PlankbError):
    """The data directory cannot be used (read-only, not a directory, corrupt)."""
