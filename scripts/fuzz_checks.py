"""Checks of scripts/fuzz-api.sh's phase without a token: every answer but
the OpenAPI document's is 401 (nothing is read, written or even routed
without a token)."""
import schemathesis


@schemathesis.check
def unauthorized_without_token(ctx, response, case):
    if case.path.endswith("/openapi.json"):
        return None
    if response.status_code != 401:
        raise AssertionError(
            f"{case.method} {case.formatted_path} answered {response.status_code} without a token"
        )
    return None
