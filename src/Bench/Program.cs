using SoulBox.Bench;

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(BenchOptions.Usage);
    return args.Length == 0 ? 2 : 0;
}

try
{
    return args[0] switch
    {
        "capacity" => CapacityCommand.Run(args[1..]),
        "--compare" or "compare" => CompareCommand.Run(args[1..]),
        "scale" => await SoulBox.Bench.Scale.ScaleCommand.RunAsync(args),
        "e2b-warm" => await SoulBox.Bench.Target.E2bWarmCommand.RunAsync(args[1..]),
        _ => await BenchCommand.RunAsync(args),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}\n\n{BenchOptions.Usage}");
    return 2;
}
