"""The OpenAPI 3 description of the JSON API, served at /api/openapi.json and fuzzed by the tests."""

from __future__ import annotations

from kb.model import KINDS

NULL_STR = {"type": "string", "nullable": True}
CLAUSE = {
    "type": "object",
    "required": ["id", "doc", "kind", "domain", "number", "text", "departments", "departments_raw", "lead", "citation"],
    "properties": {
        "id": {"type": "string"},
        "doc": {"type": "string"},
        "kind": {"type": "string", "enum": list(KINDS)},
        "domain": NULL_STR,
        "number": {"type": "integer", "nullable": True},
        "text": {"type": "string"},
        "departments": {"type": "array", "items": {"type": "string"}},
        "departments_raw": NULL_STR,
        "lead": NULL_STR,
        "citation": {"type": "string"},
    },
}
HIT = {
    "type": "object",
    "required": ["id", "doc", "kind", "domain", "number", "citation", "text", "departments", "match", "score", "highlight"],
    "properties": {
        **{k: CLAUSE["properties"][k] for k in ("id", "doc", "kind", "domain", "number", "citation", "text", "departments", "lead")},
        "match": {"type": "string", "enum": ["assigned", "lead_in_text", "shared", "mentioned", "text"]},
        "tier": {"type": "string", "enum": ["exact", "words", "partial"], "description": "exact：原样包含；words：包含全部词语；partial：只包含部分关键词"},
        "full": {"type": "boolean", "description": "是否包含全部关键词"},
        "score": {"type": "number"},
        "highlight": {"type": "string"},
    },
}
FACET = {
    "type": "object",
    "required": ["name", "label", "values", "truncated"],
    "properties": {
        "name": {"type": "string"},
        "label": {"type": "string"},
        "truncated": {"type": "boolean"},
        "values": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["value", "label", "count", "selected"],
                "properties": {"value": {"type": "string"}, "label": {"type": "string"}, "count": {"type": "integer", "minimum": 1}, "selected": {"type": "boolean"}},
            },
        },
    },
}
STRINGS = {"type": "array", "items": {"type": "string"}}
SEARCH = {
    "type": "object",
    "required": ["query", "interpreted", "total", "full_matches", "page", "limit", "hits", "facets"],
    "properties": {
        "query": {"type": "string"},
        "interpreted": {
            "type": "object",
            "required": ["departments", "kinds", "domains", "docs", "keywords", "synonyms", "mode", "all_departments", "literal", "recognised", "description", "notes"],
            "properties": {
                "departments": STRINGS, "kinds": {"type": "array", "items": {"type": "string", "enum": list(KINDS)}}, "domains": STRINGS,
                "docs": STRINGS, "keywords": STRINGS, "synonyms": {"type": "object", "additionalProperties": STRINGS},
                "mode": {"type": "string"}, "all_departments": {"type": "boolean"},
                "bare_department": {"type": "string", "nullable": True}, "literal": {"type": "boolean"}, "recognised": STRINGS,
                "description": {"type": "string"}, "notes": STRINGS,
                "reading": {"type": "string", "description": "检索的理解，例如“部门 人社局 · 全部职责”；按字面检索时为空"},
                "duty": {"type": "boolean", "description": "部门的全部职责（各类条款：本部门承担、文中牵头、共同承担）"},
                "prefer": {"type": "array", "items": {"type": "string", "enum": list(KINDS)}}, "target": {"type": "boolean"},
            },
        },
        "total": {"type": "integer", "minimum": 0},
        "full_matches": {"type": "integer", "minimum": 0, "description": "包含全部关键词的条数；这些结果排在前面"},
        "page": {"type": "integer", "minimum": 1},
        "limit": {"type": "integer", "nullable": True},
        "hits": {"type": "array", "items": HIT},
        "facets": {"type": "object", "properties": {k: FACET for k in ("kind", "domain", "departments", "doc")}},
    },
}
DUTIES = {
    "type": "object",
    "required": ["department", "assigned", "shared", "mentioned"],
    "properties": {
        "department": {"type": "string"},
        "common": {"type": "array", "items": CLAUSE, "description": "共同职责：规划正文交给各责任单位的工作"},
        "assigned": {"type": "array", "items": CLAUSE},
        "lead_in_text": {"type": "array", "items": CLAUSE},
        "shared": {"type": "array", "items": CLAUSE},
        "mentioned": {"type": "array", "items": CLAUSE},
        "notes": STRINGS,
    },
}
COUNTS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["department", "full", "goals", "measures", "shared", "mentioned", "assigned"],
        "properties": {k: {"type": "integer", "minimum": 0}
                       for k in ("goals", "measures", "other", "lead_in_text", "shared", "mentioned", "assigned")}
        | {"department": {"type": "string"}, "full": {"type": "string"}},
    },
}
ERROR = {
    "type": "object",
    "required": ["ok", "error", "status"],
    "properties": {"ok": {"type": "boolean", "enum": [False]}, "error": {"type": "string"}, "status": {"type": "integer", "minimum": 400, "maximum": 499}, "suggestions": STRINGS},
}


INDICATOR = {
    "type": "object",
    "required": ["id", "name", "comparator", "value", "unit", "direction", "clause", "departments", "doc"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "comparator": {"type": "string", "enum": ["<=", ">=", "≈", "="], "nullable": True},
        "value": {"type": "number", "nullable": True},
        "unit": {"type": "string"},
        "direction": {"type": "string", "enum": ["up", "down"], "nullable": True},
        "clause": {"type": "string"},
        "departments": STRINGS,
        "doc": {"type": "string"},
    },
}
INDICATOR_STATUS = {
    "type": "object",
    "required": ["indicator", "status", "latest", "series"],
    "properties": {
        "indicator": INDICATOR,
        "status": {"type": "string", "enum": ["已达标", "未达标", "无数据"]},
        "series": {"type": "array", "items": {"type": "object", "required": ["year", "value"], "properties": {"year": {"type": "integer"}, "value": {"type": "number"}}}},
        "warnings": STRINGS,
    },
}


def _json(schema, description="成功"):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name, schema, description):
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


ERRORS = {"400": _json(ERROR, "参数错误"), "404": _json(ERROR, "不存在")}
DOC_PARAM = _query("doc", {"type": "string"}, "文档编号")


def spec() -> dict:
    """The OpenAPI document of /api/*."""
    array = lambda d: {"type": "array", "items": {"type": "string"}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "plankb API", "version": "1", "description": "规划文本知识库的 JSON 接口；与 plankb CLI 的 JSON 输出相同。"},
        "paths": {
            "/api/search": {
                "get": {
                    "summary": "检索条款",
                    "parameters": [
                        _query("q", {"type": "string"}, "查询"),
                        {**_query("dept", array(0), "部门（可重复）"), "style": "form", "explode": True},
                        {**_query("kind", array(0), "类别（可重复）"), "style": "form", "explode": True},
                        {**_query("domain", array(0), "领域（可重复）"), "style": "form", "explode": True},
                        {**_query("doc", array(0), "文档（可重复）"), "style": "form", "explode": True},
                        _query("literal", {"type": "string"}, "1 表示按字面检索"),
                        {**_query("also", array(0), "并且标注了这些部门（可重复）：部门分面在当前结果内缩小"), "style": "form", "explode": True},
                        _query("page", {"type": "integer"}, "页码，超出范围时取最近的有效值"),
                        _query("limit", {"type": "integer"}, "每页条数 1–100"),
                    ],
                    "responses": {"200": _json(SEARCH), **ERRORS},
                }
            },
            "/api/clauses/{clause_id}": {
                "get": {
                    "summary": "一个条款",
                    "parameters": [{"name": "clause_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": _json({**CLAUSE, "properties": {**CLAUSE["properties"], "prev": NULL_STR, "next": NULL_STR}}),
                        **ERRORS,
                    },
                }
            },
            "/api/departments": {"get": {"summary": "各部门条款数", "parameters": [DOC_PARAM], "responses": {"200": _json(COUNTS), **ERRORS}}},
            "/api/departments/{name}": {
                "get": {
                    "summary": "部门任务清单",
                    "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}, DOC_PARAM],
                    "responses": {"200": _json(DUTIES), **ERRORS},
                }
            },
            "/api/indicators": {
                "get": {
                    "summary": "规划的量化目标和定性目标",
                    "parameters": [_query("dept", {"type": "string"}, "部门"), DOC_PARAM, _query("domain", {"type": "string"}, "领域")],
                    "responses": {"200": _json({"type": "array", "items": INDICATOR}), **ERRORS},
                }
            },
            "/api/indicators/{indicator_id}": {
                "get": {
                    "summary": "一个指标及其监测状态",
                    "parameters": [{"name": "indicator_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": _json(INDICATOR_STATUS), **ERRORS,
                        "503": _json({**ERROR, "properties": {**ERROR["properties"], "status": {"type": "integer"}}}, "监测数据暂时无法读取"),
                    },
                }
            },
            "/api/documents": {"get": {"summary": "规划列表", "responses": {"200": _json({"type": "array", "items": {"type": "object", "required": ["id", "title"]}})}}},
            "/healthz": {
                "get": {
                    "summary": "健康检查",
                    "responses": {"200": _json({
                        "type": "object", "required": ["ok", "documents", "clauses"],
                        "properties": {"ok": {"type": "boolean"}, "documents": {"type": "integer"}, "clauses": {"type": "integer"}},
                    })},
                }
            },
        },
    }
