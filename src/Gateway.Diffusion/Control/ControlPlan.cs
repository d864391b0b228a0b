namespace Gateway.Diffusion.Control;

/// <summary>A request's ControlNet resolved against the catalog: the loaded ControlNet, its annotator when the image is
/// to be preprocessed by one, and the scale it runs at.</summary>
/// <param name="Key">What requests that may share UNet calls must agree on: the ControlNet, its settings and the control
/// image (by content hash).</param>
internal sealed record ControlPlan(ControlNetModel Net, ControlNetRequest Request, double Scale, Annotator? Annotator, string Key);
