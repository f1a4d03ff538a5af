//! The one place errors become HTTP responses.
//!
//! Every failure a client can see is a [`GatewayError`], rendered in OpenAI's
//! error shape `{"error":{"message","type","param","code"}}` so SDKs raise the
//! right exception. Messages put Japanese first, then English, and never echo
//! a key, a prompt or a detected value. Once SSE headers are out, the same
//! error is written as a stream event instead ([`GatewayError::to_json`]).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Findings of one type in a block message: the type, its Japanese label, how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingCount {
    /// Detector type name.
    pub kind: String,
    /// Japanese label (e.g. 個人番号).
    pub label: String,
    /// How many.
    pub count: u32,
}

/// Why a use plan (利用計画書) refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanRefusal {
    /// Today is outside the plan's period.
    OutOfPeriod {
        /// Plan id.
        plan: String,
        /// First day (YYYY-MM-DD).
        start: String,
        /// Last day (YYYY-MM-DD).
        end: String,
    },
    /// The caller's user and department are outside the plan's scope.
    OutOfScope {
        /// Plan id.
        plan: String,
    },
    /// The model is not among the plan's models.
    ModelNotInPlan {
        /// Plan id.
        plan: String,
        /// The model asked for.
        model: String,
    },
    /// The text carries a confidentiality marking above the plan's class.
    ClassAbovePlan {
        /// Plan id.
        plan: String,
        /// Class of the highest marking found.
        found: u8,
        /// The plan's class.
        allowed: u8,
    },
}

impl PlanRefusal {
    fn code(&self) -> &'static str {
        match self {
            Self::OutOfPeriod { .. } => "plan_out_of_period",
            Self::OutOfScope { .. } => "plan_out_of_scope",
            Self::ModelNotInPlan { .. } => "plan_model_not_allowed",
            Self::ClassAbovePlan { .. } => "classification_above_plan",
        }
    }

    fn message(&self) -> String {
        match self {
            Self::OutOfPeriod { plan, start, end } => format!(
                "利用計画「{plan}」の利用期間（{start}〜{end}）外のため利用できません。 / Use plan '{plan}' is outside its period ({start} to {end})."
            ),
            Self::OutOfScope { plan } => format!(
                "利用計画「{plan}」の利用者範囲に含まれていないため利用できません。情報政策担当に確認してください。 / You are not within the users of use plan '{plan}'; ask your administrator."
            ),
            Self::ModelNotInPlan { plan, model } => format!(
                "モデル「{model}」は利用計画「{plan}」で認められていません。 / Model '{model}' is not allowed by use plan '{plan}'."
            ),
            Self::ClassAbovePlan { plan, found, allowed } => format!(
                "送信内容に機密性{found}の表示があります。利用計画「{plan}」で扱えるのは機密性{allowed}までのため、送信を停止しました。 / The request carries a class-{found} confidentiality marking; use plan '{plan}' allows up to class {allowed}, so it was not forwarded."
            ),
        }
    }
}

/// Everything that can go wrong while handling a request.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// No staff key was sent.
    #[error("missing api key")]
    MissingKey,
    /// The key is not one mamori issued (or was revoked).
    #[error("invalid api key")]
    InvalidKey,
    /// The key may not use this model.
    #[error("model not allowed for this key")]
    ModelNotAllowed(String),
    /// An admin token is required (staff keys are refused).
    #[error("admin token required")]
    AdminOnly,
    /// The body is not valid JSON (or not UTF-8).
    #[error("malformed json: {0}")]
    MalformedJson(String),
    /// A required field is missing or has the wrong type.
    #[error("invalid field {field}")]
    InvalidField {
        /// The field name.
        field: &'static str,
        /// What is wrong, in English.
        problem: &'static str,
    },
    /// An Azure-style route was called without `?api-version=`.
    #[error("missing api-version")]
    MissingApiVersion,
    /// The policy blocks what the request contains.
    #[error("policy violation")]
    PolicyViolation(Vec<FindingCount>),
    /// The caller's use plan refuses the request (403).
    #[error("use plan violation")]
    PlanViolation(PlanRefusal),
    /// A public-use key (Q16) has not recorded consent to the trial terms.
    #[error("consent required")]
    ConsentRequired,
    /// The request could not be scanned or logged, and the gateway fails closed.
    #[error("audit unavailable")]
    AuditUnavailable,
    /// No such model or deployment is configured.
    #[error("unknown model")]
    UnknownModel(String),
    /// No such use plan (admin reports).
    #[error("unknown plan")]
    UnknownPlan(String),
    /// No such route.
    #[error("not found")]
    NotFound,
    /// The route exists but not for this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The body exceeded `max_body_bytes`.
    #[error("body too large")]
    BodyTooLarge(usize),
    /// The client was too slow sending its body.
    #[error("client body timeout")]
    ClientTimeout,
    /// The client connection failed while the body was read.
    #[error("client body read failed")]
    ClientBody,
    /// Upstream could not be reached or reset the connection.
    #[error("upstream connection failed")]
    UpstreamConnect,
    /// Upstream did not answer within a configured timeout.
    #[error("upstream timeout ({0})")]
    UpstreamTimeout(&'static str),
    /// Upstream answered with something that is not what the API promises.
    #[error("upstream protocol error")]
    UpstreamProtocol,
    /// The gateway is shutting down or not ready.
    #[error("unavailable")]
    Unavailable,
    /// A bug or an unexpected internal state: logged, never detailed to clients.
    #[error("internal error")]
    Internal,
}

impl GatewayError {
    /// HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingKey | Self::InvalidKey => StatusCode::UNAUTHORIZED,
            Self::ModelNotAllowed(_)
            | Self::AdminOnly
            | Self::ConsentRequired
            | Self::PlanViolation(_) => StatusCode::FORBIDDEN,
            Self::MalformedJson(_)
            | Self::InvalidField { .. }
            | Self::MissingApiVersion
            | Self::PolicyViolation(_) => StatusCode::BAD_REQUEST,
            Self::AuditUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::UnknownModel(_) | Self::UnknownPlan(_) | Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::BodyTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::ClientTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::ClientBody => StatusCode::BAD_REQUEST,
            Self::UpstreamConnect | Self::UpstreamProtocol => StatusCode::BAD_GATEWAY,
            Self::UpstreamTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Low-cardinality label for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::MissingKey => "missing_key",
            Self::InvalidKey => "invalid_key",
            Self::ModelNotAllowed(_) => "model_not_allowed",
            Self::AdminOnly => "admin_only",
            Self::MalformedJson(_) => "malformed_json",
            Self::InvalidField { .. } => "invalid_field",
            Self::MissingApiVersion => "missing_api_version",
            Self::PolicyViolation(_) => "policy_violation",
            Self::PlanViolation(_) => "plan_violation",
            Self::AuditUnavailable => "audit_unavailable",
            Self::ConsentRequired => "consent_required",
            Self::UnknownModel(_) => "unknown_model",
            Self::UnknownPlan(_) => "unknown_plan",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::BodyTooLarge(_) => "body_too_large",
            Self::ClientTimeout => "client_timeout",
            Self::ClientBody => "client_body",
            Self::UpstreamConnect => "upstream_connect",
            Self::UpstreamTimeout(_) => "upstream_timeout",
            Self::UpstreamProtocol => "upstream_protocol",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    /// OpenAI's `type` field.
    fn error_type(&self) -> &'static str {
        match self {
            Self::MissingKey | Self::InvalidKey => "authentication_error",
            Self::ModelNotAllowed(_) | Self::AdminOnly | Self::ConsentRequired => {
                "permission_error"
            }
            Self::UnknownModel(_) | Self::UnknownPlan(_) | Self::NotFound => "not_found_error",
            Self::UpstreamConnect | Self::UpstreamTimeout(_) | Self::UpstreamProtocol => {
                "upstream_error"
            }
            Self::Unavailable | Self::Internal | Self::AuditUnavailable => "server_error",
            Self::PolicyViolation(_) => "policy_violation",
            Self::PlanViolation(_) => "plan_violation",
            _ => "invalid_request_error",
        }
    }

    /// OpenAI's `code` field.
    fn code(&self) -> &'static str {
        match self {
            Self::MissingKey => "missing_api_key",
            Self::InvalidKey => "invalid_api_key",
            Self::ModelNotAllowed(_) => "model_not_allowed",
            Self::UnknownModel(_) => "model_not_found",
            Self::PolicyViolation(_) => "sensitive_data_detected",
            Self::PlanViolation(r) => r.code(),
            other => other.kind(),
        }
    }

    /// OpenAI's `param` field.
    fn param(&self) -> Option<&'static str> {
        match self {
            Self::ModelNotAllowed(_)
            | Self::UnknownModel(_)
            | Self::PlanViolation(PlanRefusal::ModelNotInPlan { .. }) => Some("model"),
            Self::InvalidField { field, .. } => Some(field),
            Self::MissingApiVersion => Some("api-version"),
            _ => None,
        }
    }

    /// The client-facing message, Japanese first.
    pub fn message(&self) -> String {
        match self {
            Self::MissingKey => "APIキーがありません。mamori が発行したキーを Authorization: Bearer または api-key ヘッダーで送ってください。 / Missing API key: send your mamori key in the Authorization: Bearer or api-key header.".into(),
            Self::InvalidKey => "APIキーが無効です。情報政策担当に確認してください。 / Invalid API key: ask your administrator.".into(),
            Self::ModelNotAllowed(m) => format!("このキーではモデル「{m}」を利用できません。 / Model '{m}' is not allowed for this key."),
            Self::AdminOnly => "この操作には管理用トークンが必要です。 / This endpoint requires an admin or auditor token.".into(),
            Self::MalformedJson(detail) => format!("リクエスト本文が正しいJSONではありません。 / The request body is not valid JSON: {detail}"),
            Self::InvalidField { field, problem } => format!("項目「{field}」が不正です。 / Invalid field '{field}': {problem}."),
            Self::MissingApiVersion => "Azure OpenAI 形式のURLには api-version クエリパラメータが必要です（例: ?api-version=2024-10-21）。 / Azure OpenAI routes require the api-version query parameter (e.g. ?api-version=2024-10-21).".into(),
            Self::UnknownModel(m) => format!("モデル「{m}」は設定されていません。 / The model '{m}' does not exist or is not configured."),
            Self::UnknownPlan(p) => format!("利用計画「{p}」は設定されていません。 / No use plan '{p}' is configured."),
            Self::NotFound => "このURLは存在しません。 / Unknown route.".into(),
            Self::MethodNotAllowed => "このURLではこのメソッドを利用できません。 / Method not allowed on this route.".into(),
            Self::BodyTooLarge(max) => format!("リクエスト本文が大きすぎます（上限 {max} バイト）。 / Request body exceeds the limit of {max} bytes."),
            Self::ClientTimeout => "リクエスト本文の受信が時間内に終わりませんでした。 / Timed out reading the request body.".into(),
            Self::ClientBody => "リクエスト本文を読み取れませんでした。 / Could not read the request body.".into(),
            Self::UpstreamConnect => "生成AIサービスに接続できませんでした。しばらくしてから再度お試しください。 / Could not reach the AI provider (connection failed or reset).".into(),
            Self::UpstreamTimeout(which) => format!("生成AIサービスの応答が時間内にありませんでした。 / The AI provider did not answer in time ({which} timeout)."),
            Self::UpstreamProtocol => "生成AIサービスの応答が不正でした。 / The AI provider sent an invalid response.".into(),
            Self::Unavailable => "ただいま利用できません。しばらくしてから再度お試しください。 / Service temporarily unavailable.".into(),
            Self::Internal => "内部エラーが発生しました。 / Internal error.".into(),
            Self::ConsentRequired => "このサービスは検証段階（試行）です。回答は生成AIによるもので、誤りを含む可能性があります。利用条件に同意のうえご利用ください（POST /v1/consent に {\"accept\": true} を送信すると同意が記録されます）。 / This service is a trial: answers are AI generated and may be wrong. Record your consent first by sending POST /v1/consent with {\"accept\": true}.".into(),
            Self::PlanViolation(r) => r.message(),
            Self::AuditUnavailable => "監査ログを記録できないため、安全のためリクエストを停止しました。管理者に連絡してください。 / The audit log cannot be written, so the request was not forwarded (fail closed). Contact your administrator.".into(),
            Self::PolicyViolation(found) => {
                let ja: Vec<String> = found.iter().map(|f| format!("{}（{}件）", f.label, f.count)).collect();
                let en: Vec<String> = found.iter().map(|f| format!("{} x{}", f.kind, f.count)).collect();
                format!(
                    "送信内容に個人情報・秘匿情報が含まれているため、送信を停止しました（検出: {}）。該当箇所を削除するか伏せ字にしてから再送してください。 / The request was blocked because it contains personal or confidential information ({}). Remove or redact it and try again.",
                    ja.join("、"),
                    en.join(", ")
                )
            }
        }
    }

    /// The OpenAI-shaped JSON body.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = json!({
            "error": {
                "message": self.message(),
                "type": self.error_type(),
                "param": self.param(),
                "code": self.code(),
            }
        });
        if let Self::PolicyViolation(found) = self {
            let list: Vec<_> = found
                .iter()
                .map(|f| json!({"type": f.kind, "count": f.count}))
                .collect();
            v["error"]["findings"] = json!(list);
        }
        v
    }
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let mut resp = (self.status(), axum::Json(self.to_json())).into_response();
        if matches!(self, Self::MissingKey | Self::InvalidKey) {
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}
