const replacement = new URL('./keyring.mjs', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === '@napi-rs/keyring') return { url: replacement, shortCircuit: true };
  return nextResolve(specifier, context);
}
