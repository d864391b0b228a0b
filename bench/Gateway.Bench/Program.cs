using System.Globalization;
using Gateway.Bench;

var quick = args.Contains("--quick");
foreach (var (name, value) in CodecBench.Run(quick ? 5 : 15))
    Console.WriteLine($"{name}: {value.ToString("0.###", CultureInfo.InvariantCulture)}");
