"""The JSON API: the same contracts as ``plankb search --json`` and ``plankb duties --format json``."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from kb import exports
from search_app.params import DEFAULT_LIMIT, MAX_LIMIT, int_arg, search_args
from search_app.results import run_search
from search_app.state import get_searcher, state

bp = Blueprint("api", __name__)


@bp.route("/api/search")
def search():
    """Search: {query, interpreted, total, page, limit, hits, facets}; limit is 1–100."""
    params = search_args(strict=True)
    limit = int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT, strict=True)
    return jsonify(run_search(params, limit=limit))


@bp.route("/api/clauses/<path:clause_id>")
def clause(clause_id):
    """One clause as the export JSON contract gives it, with its list neighbours' ids."""
    kb = get_searcher().kb
    c = kb.clause(clause_id[:200])
    prev, nxt = kb.siblings(c)
    return jsonify({**c.public_dict(), "prev": prev.id if prev else None, "next": nxt.id if nxt else None})


@bp.route("/api/departments")
def departments():
    """Per department: assigned goals and measures, shared and mentioned counts."""
    return jsonify(get_searcher().kb.department_counts(request.args.get("doc") or None))


@bp.route("/api/departments/<path:name>")
def department(name):
    """A department's duty list (same as ``plankb duties DEPT --format json``)."""
    kb = get_searcher().kb
    return jsonify(exports.duties_json(kb.duties(name[:100], request.args.get("doc") or None)))


@bp.route("/api/documents")
def documents():
    """The plans with their metadata and clause counts by kind."""
    kb = get_searcher().kb
    return jsonify([{**d.to_dict(), "counts": kb.kind_counts(d.id)} for d in kb.documents])


@bp.route("/api/openapi.json")
def openapi():
    """The OpenAPI 3 description of this API."""
    from search_app.openapi import spec

    return jsonify(spec())


@bp.route("/healthz")
def healthz():
    """Liveness and what is loaded: the generation, documents and clauses; updating while a build runs."""
    s = get_searcher()
    return jsonify({"ok": True, "generation": s.kb.path.name if s.kb.path else None, "documents": len(s.kb.documents), "clauses": len(s.kb.clauses),
                    "updating": state().updating is not None})
