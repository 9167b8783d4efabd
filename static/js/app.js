// dashboard behaviour
