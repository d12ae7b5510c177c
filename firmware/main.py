# The pump monitor's entry point: the same file on a board and in the emulator.
# The board is chosen by /board.json (see boards/), the behaviour by /config.json.
import app

app.main()
