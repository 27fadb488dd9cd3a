// A real OpenID Connect provider for the tests (node-oidc-provider), started by
// tests/support/oidc_provider.py with one client and a few staff identities. Its sign-in page is
// this file's own (a login and a password; any password is taken), so nothing is fetched from
// elsewhere; an identity marked disabled is sent back to the client with access_denied.
// Usage: node provider.mjs CONFIG_JSON  (issuer, port, cookie_key, client, accounts)
import Provider from "oidc-provider";

const config = JSON.parse(process.argv[2]);
const accounts = config.accounts; // subject -> {email, name, disabled}
const SCOPE = "openid email profile";

const provider = new Provider(config.issuer, {
  clients: [
    {
      client_id: config.client.id,
      client_secret: config.client.secret,
      redirect_uris: [config.client.redirect_uri],
      response_types: ["code"],
      grant_types: ["authorization_code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  cookies: { keys: [config.cookie_key] },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
  async findAccount(ctx, id) {
    const found = accounts[id];
    if (!found) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: found.email, email_verified: true, name: found.name };
      },
    };
  },
});

const page = (uid) => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Test identity provider</title></head><body><h1>Test identity provider</h1>
<form method="post" action="/interaction/${uid}/login">
<label>Login <input name="login" autocomplete="username"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Sign in</button></form></body></html>`;

async function form(req) {
  let body = "";
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === "GET") {
    ctx.type = "html";
    ctx.body = page(details.uid);
    return undefined;
  }
  const login = (await form(ctx.req)).get("login") || "";
  const found = accounts[login];
  let result;
  if (!found || found.disabled) {
    result = { error: "access_denied", error_description: "this identity cannot sign in" };
  } else {
    const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
    grant.addOIDCScope(SCOPE);
    result = { login: { accountId: login }, consent: { grantId: await grant.save() } };
  }
  ctx.respond = false;
  await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  return undefined;
});

provider.listen(config.port, "127.0.0.1", () => {
  console.log(`listening ${config.issuer}`);
});
