//! Login, logout, signup and the Telegram owner binding.
use async_graphql::{Context, ID, InputObject, Object};
use axum::http::header::SET_COOKIE;

use crate::graphql::context::parse_uuid;
use crate::{
    auth::Caller,
    domain::identity::{self, signup, telegram_owner},
    graphql::{
        context::ContextExt,
        error::IntoGqlError,
        identity::types::{LoginResult, SignupRequest, TelegramBindCode, User},
    },
    kernel::DomainError,
};

/// Credentials.
#[derive(InputObject)]
pub struct LoginInput {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// A request for an account.
#[derive(InputObject)]
pub struct RequestSignupInput {
    /// Wanted login name.
    pub username: String,
    /// Wanted password (10-128 characters).
    pub password: String,
}

/// The PIN step of signup.
#[derive(InputObject)]
pub struct ConfirmSignupInput {
    /// The signup request's id.
    pub request_id: ID,
    /// The 6-digit PIN the owner passed on.
    pub pin: String,
}

/// Identity mutations.
#[derive(Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// Starts a session (sets the session cookie) and returns its CSRF token.
    async fn login(
        &self,
        ctx: &Context<'_>,
        input: LoginInput,
    ) -> async_graphql::Result<LoginResult> {
        let db = ctx.db()?;
        let identity = ctx.identity()?;
        let auth = ctx.auth()?;
        let presented = match &auth.caller {
            Caller::Session { session_id, .. } => Some(session_id.as_str()),
            _ => None,
        };
        let logged_in = identity::login(
            db,
            identity,
            &input.username,
            &input.password,
            &auth.client_key,
            presented,
        )
        .await
        .map_err(IntoGqlError::into_gql)?;
        ctx.append_http_header(
            SET_COOKIE,
            identity
                .sessions
                .set_cookie(&logged_in.session.cookie_value),
        );
        Ok(LoginResult {
            user: logged_in.user.into(),
            csrf_token: logged_in.session.csrf_token,
        })
    }

    /// Ends the caller's session and clears the cookie.
    async fn logout(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let db = ctx.db()?;
        let identity = ctx.identity()?;
        let Caller::Session {
            user, session_id, ..
        } = &ctx.auth()?.caller
        else {
            return Err(DomainError::Unauthenticated.into_gql());
        };
        identity::logout(db, user, session_id)
            .await
            .map_err(IntoGqlError::into_gql)?;
        ctx.append_http_header(SET_COOKIE, identity.sessions.clear_cookie());
        Ok(true)
    }

    /// Asks for an account; a PIN goes to the owner through Telegram.
    async fn request_signup(
        &self,
        ctx: &Context<'_>,
        input: RequestSignupInput,
    ) -> async_graphql::Result<SignupRequest> {
        let db = ctx.db()?;
        let auth = ctx.auth()?;
        signup::request(
            db,
            ctx.identity()?,
            &input.username,
            &input.password,
            &auth.client_key,
        )
        .await
        .map(Into::into)
        .map_err(IntoGqlError::into_gql)
    }

    /// Completes a signup with the PIN; the user can then log in.
    async fn confirm_signup(
        &self,
        ctx: &Context<'_>,
        input: ConfirmSignupInput,
    ) -> async_graphql::Result<User> {
        let db = ctx.db()?;
        let request_id = parse_uuid("requestId", &input.request_id)?;
        signup::confirm(db, request_id, &input.pin)
            .await
            .map(Into::into)
            .map_err(IntoGqlError::into_gql)
    }

    /// A one-time code for the owner to send to the bot as `/start <code>` (admins only).
    async fn create_telegram_bind_code(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<TelegramBindCode> {
        let db = ctx.db()?;
        let user = ctx
            .auth()?
            .require_person()
            .map_err(IntoGqlError::into_gql)?;
        let code = telegram_owner::create_bind_code(db, user)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(TelegramBindCode {
            bot_command: format!("/start {}", code.code),
            code: code.code,
            expires_at: code.expires_at,
        })
    }
}
