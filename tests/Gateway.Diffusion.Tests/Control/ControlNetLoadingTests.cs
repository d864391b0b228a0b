using System.Text.Json.Nodes;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Tests.Support;

namespace Gateway.Diffusion.Tests.Control;

/// <summary>ControlNet catalog entries and exports are checked when they load, with messages that name the file, the
/// tensor and what was expected.</summary>
public sealed class ControlNetLoadingTests
{
    private static JsonObject Model(string id, JsonObject? controlnet) => new()
    {
        ["id"] = id, ["folder"] = TestModels.Folder(id), ["family"] = id == "tiny-sdxl" ? "sdxl10" : "sd15", ["native_size"] = "512x512",
        ["default_steps"] = 4, ["default_guidance"] = 7.5, ["controlnet"] = controlnet,
    };

    private static JsonObject Net(string id, string folder, string family = "sd15", string preprocessor = "canny") => new()
    {
        ["id"] = id, ["folder"] = folder, ["family"] = family, ["preprocessor"] = preprocessor,
    };

    private static string Catalog(JsonArray models, JsonArray controlnets) =>
        new JsonObject { ["models"] = models, ["controlnets"] = controlnets }.ToJsonString();

    private static ModelLoadException CatalogError(JsonArray models, JsonArray controlnets) =>
        Assert.Throws<ModelLoadException>(() => ModelCatalog.Parse(Catalog(models, controlnets), TestModels.Directory, "models.json"));

    [Fact]
    public void The_committed_catalog_lists_controlnets_for_both_families_with_aliases()
    {
        var catalog = ModelCatalog.Load(TestModels.Directory);
        Assert.Equal(8, catalog.ControlNets.Count);
        Assert.True(catalog.TryGetControlNetAlias("SD1.5-ControlNet", out var sd));
        Assert.Equal(("tiny-sd", "tiny-sd-canny"), (sd.Id, sd.ControlNet!.DefaultControlNet));
        Assert.True(catalog.TryGetControlNetAlias("SDXL-ControlNet", out var xl));
        Assert.Equal(("tiny-sdxl", "tiny-sdxl-canny"), (xl.Id, xl.ControlNet!.DefaultControlNet));
        Assert.Equal(["depth", "openpose", "softedge"], catalog.Annotators.Select(a => a.Id));
    }

    [Fact]
    public void Catalog_mistakes_name_the_entry_and_field()
    {
        var canny = Net("c", "controlnets/tiny-sd-canny");
        Assert.Contains("model 'tiny-sd', field 'controlnet.default': no ControlNet 'nope'",
            CatalogError([Model("tiny-sd", new JsonObject { ["unet"] = "controlnet", ["default"] = "nope" })], [canny.DeepClone()]).Message);
        Assert.Contains("'c' is a sd15 ControlNet; 'tiny-sdxl' is sdxl10",
            CatalogError([Model("tiny-sdxl", new JsonObject { ["unet"] = "controlnet", ["default"] = "c" })], [canny.DeepClone()]).Message);
        Assert.Contains("ControlNet 'c', field 'preprocessor': 'scribble' is not canny, none or an id of the catalog's annotators",
            CatalogError([], [Net("c", "x", preprocessor: "scribble")]).Message);
        Assert.Contains("field 'controlnet.alias': 'tiny-sd' is already a model id",
            CatalogError([Model("tiny-sd", new JsonObject { ["unet"] = "controlnet", ["alias"] = "tiny-sd", ["default"] = "c" })], [canny.DeepClone()]).Message);
    }

    [Fact]
    public void A_plain_unet_given_as_the_controlnet_unet_fails_naming_the_residual_input()
    {
        var catalog = ModelCatalog.Parse(Catalog([Model("tiny-sd", new JsonObject { ["unet"] = "unet" })], []), TestModels.Directory, "models.json");
        Assert.True(catalog.TryGet("tiny-sd", out var entry));
        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(entry, new OnnxSessionFactory(new OnnxOptions())));
        Assert.Contains("tiny-sd/unet/model.onnx: no input 'down_block_0_additional_residual' (float32 or float16", error.Message);
    }

    [Fact]
    public void A_unet_given_as_a_controlnet_is_marked_failed_naming_controlnet_cond()
    {
        using var models = new TempDirectory();
        File.WriteAllText(Path.Combine(models.Path, "models.json"), Catalog(
            [Model("tiny-sd", new JsonObject { ["unet"] = "controlnet" })],
            [Net("not-a-controlnet", Path.Combine(TestModels.Folder("tiny-sd"), "unet")), Net("canny", Path.Combine(TestModels.Directory, "controlnets", "tiny-sd-canny"))]));
        using var engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = models.Path });
        engine.LoadAll();

        var (ready, error) = engine.ControlNetState("not-a-controlnet");
        Assert.False(ready);
        Assert.Contains("unet/model.onnx: no input 'controlnet_cond' (float32 or float16 [batch, 3, height, width] in [0, 1])", error);
        Assert.Equal((true, null), engine.ControlNetState("canny"));
    }
}
