// The browser's side of a passkey ceremony (see webauthn.py): the options arrive as the
// services made them (JSON); the answer leaves as the browser's own JSON form of the credential,
// and a refusal by the person or the device (cancelled, timed out) as its DOMException name.
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const button = parentElement.querySelector("button");
  const status = parentElement.querySelector("p");
  button.textContent = data.label;
  button.onclick = async () => {
    button.disabled = true;
    status.textContent = data.waiting;
    try {
      const options = JSON.parse(data.options);
      const credential = data.mode === "create"
        ? await navigator.credentials.create({
            publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) })
        : await navigator.credentials.get({
            publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
      status.textContent = "";
      setTriggerValue("answer", JSON.stringify(credential.toJSON()));
    } catch (error) {
      status.textContent = "";
      setTriggerValue("failed", (error && error.name) || "Error");
    } finally {
      button.disabled = false;
    }
  };
}
