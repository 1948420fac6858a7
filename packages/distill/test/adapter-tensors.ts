/** A saved LoRA adapter's tensors by name, for tests that compare two runs' adapters. */
import path from "node:path";
import { openSafetensors } from "@ssb/model";

/** The tensors of `adapterDir`/adapter_model.safetensors, as float32. */
export async function adapterTensors(adapterDir: string): Promise<Map<string, Float32Array>> {
  const reader = await openSafetensors(path.join(adapterDir, "adapter_model.safetensors"));
  const out = new Map<string, Float32Array>();
  for (const name of reader.names()) out.set(name, (await reader.readFloat32(name)).data);
  await reader.close();
  return out;
}
