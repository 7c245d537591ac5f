"""The API's errors in the schema: every operation answers its errors as problem details."""

PROBLEM = {
    "type": "object",
    "description": "错误（RFC 9457 problem details） / An error, as RFC 9457 problem details",
    "properties": {
        "type": {"type": "string", "description": "错误类型 URI / Problem type URI"},
        "title": {"type": "string", "description": "简短标题 / Short title"},
        "status": {"type": "integer", "description": "HTTP 状态码 / HTTP status"},
        "detail": {"type": "string", "description": "说明 / What went wrong"},
        "instance": {"type": "string", "description": "请求路径 / The request's path"},
        "errors": {
            "type": "object",
            "description": "字段 → 错误信息 / Field → its messages",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["type", "title", "status", "detail"],
}

ERRORS = {
    "400": "请求无效（字段、过滤条件、游标或 JSON 有误） / Invalid request: fields, filters, "
    "cursor or JSON",
    "401": "缺少、无效或已吊销的密钥，或签名无效 / Missing, unknown or revoked key, or bad "
    "signature",
    "403": "密钥缺少所需权限范围 / The key lacks the scope",
    "404": "不存在或不属于本店铺 / Not found, or not this shop's",
    "406": "无法提供所要求的格式 / Cannot answer in the requested format",
    "429": "请求过于频繁，见 Retry-After / Too many requests; see Retry-After",
}
WRITE_ERRORS = {
    "409": "与工单当前状态冲突 / Conflicts with the ticket's state",
    "413": "请求体过大 / Request body too large",
    "415": "请求体须为 application/json / The body must be application/json",
    "422": "幂等键已用于不同的请求 / Idempotency-Key reused for a different request",
}


def problem_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: the Problem schema, and its error responses on
    every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM
    reference = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if method not in ("get", "post", "patch", "put", "delete"):
                continue
            errors = dict(ERRORS)
            if method != "get":
                errors.update(WRITE_ERRORS)
            responses = operation.setdefault("responses", {})
            for code, description in errors.items():
                responses.setdefault(code, {"description": description, "content": reference})
    return result
